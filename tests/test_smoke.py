from .base import BaseTestCase


class VersionTestCase(BaseTestCase):
    def test_it_answers_version(self) -> None:
        response = self.client.get("/api/v1/version.json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["api_version"], "1.5")
