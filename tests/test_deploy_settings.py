"""Production settings: DATABASE_URL parsing, and `manage.py check --deploy` staying clean."""

import base64
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from unittest import TestCase

from pwpush.settings import database_from_url

ROOT = Path(__file__).resolve().parent.parent


class DatabaseUrlTestCase(TestCase):
    def test_it_decodes_special_characters_in_the_password(self) -> None:
        config = database_from_url(
            "postgres://pw%40user:p%40ss%3Aw%2Frd%23%25@db.internal:6543/pw%20push?sslmode=require"
        )
        self.assertEqual(config["ENGINE"], "django.db.backends.postgresql")
        self.assertEqual(config["USER"], "pw@user")
        self.assertEqual(config["PASSWORD"], "p@ss:w/rd#%")
        self.assertEqual(
            (config["HOST"], config["PORT"], config["NAME"]),
            ("db.internal", "6543", "pw push"),
        )
        self.assertEqual(config["OPTIONS"], {"sslmode": "require"})
        self.assertIs(config["CONN_HEALTH_CHECKS"], True)
        self.assertGreater(config["CONN_MAX_AGE"], 0)

    def test_it_reads_sqlite_paths(self) -> None:
        self.assertEqual(
            database_from_url("sqlite:////srv/data/db.sqlite3")["NAME"],
            "/srv/data/db.sqlite3",
        )
        self.assertEqual(
            database_from_url("sqlite:///relative.sqlite3")["NAME"], "relative.sqlite3"
        )

    def test_it_refuses_unknown_schemes(self) -> None:
        with self.assertRaises(ValueError):
            database_from_url("mysql://root@localhost/x")


class CheckDeployTestCase(TestCase):
    def run_check(self, **env: str) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory() as data_dir:
            environ = {
                k: v
                for k, v in os.environ.items()
                if k not in {"DATABASE_URL", "REDIS_URL"}
            }
            environ.update(DATA_DIR=data_dir, **env)
            return subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "check",
                    "--deploy",
                    "--fail-level",
                    "WARNING",
                ],
                cwd=ROOT,
                env=environ,
                capture_output=True,
                text=True,
                timeout=120,
            )

    def test_it_is_clean_with_production_settings(self) -> None:
        result = self.run_check(
            SECRET_KEY=base64.b64encode(os.urandom(48)).decode(),
            ALLOWED_HOSTS="pwpush.example.com",
            SECURE_SSL_REDIRECT="true",
            SECURE_HSTS_SECONDS="31536000",
            PWPUSH_ENCRYPTION_KEYS=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no issues", result.stdout)

    def test_it_warns_about_the_embedded_defaults(self) -> None:
        result = self.run_check()
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(
            "pwpush.W001", result.stderr + result.stdout
        )  # no PWPUSH_ENCRYPTION_KEYS
        self.assertIn("security.W004", result.stderr + result.stdout)  # no HSTS

    def test_it_refuses_a_malformed_encryption_key(self) -> None:
        result = self.run_check(PWPUSH_ENCRYPTION_KEYS="not-a-key")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("pwpush.E001", result.stderr + result.stdout)


class EnvironmentErrorsTestCase(TestCase):
    def start(self, **env: str) -> subprocess.CompletedProcess:
        with tempfile.TemporaryDirectory() as data_dir:
            environ = {**os.environ, "DATA_DIR": data_dir, **env}
            return subprocess.run(
                [sys.executable, "manage.py", "check"],
                cwd=ROOT,
                env=environ,
                capture_output=True,
                text=True,
                timeout=120,
            )

    def test_it_names_the_variable_holding_a_bad_number(self) -> None:
        result = self.start(PW_EXPIRE_AFTER_DAYS_DEFAULT="3d")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(
            "PW_EXPIRE_AFTER_DAYS_DEFAULT must be a whole number, not '3d'",
            result.stderr,
        )

    def test_it_refuses_a_boolean_it_does_not_understand(self) -> None:
        result = self.start(FORCE_SSL="enabled")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("FORCE_SSL must be true or false, not 'enabled'", result.stderr)
