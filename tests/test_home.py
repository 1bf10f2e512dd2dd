from .base import BaseTestCase


class HomeTestCase(BaseTestCase):
    def test_it_explains_the_api_on_the_front_page(self) -> None:
        response = self.client.get("/", HTTP_HOST="127.0.0.1:8000")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "http://127.0.0.1:8000/p.json")
        self.assertContains(response, "/api/v1/version.json")
        self.assertEqual(response["X-Robots-Tag"], "noindex, nofollow")


class SharedLinkPageTestCase(BaseTestCase):
    def test_it_explains_the_shared_link_without_using_a_view(self) -> None:
        from .base import make_password_push

        push = make_password_push(expire_after_views=1)
        for path in (f"/p/{push.url_token}/r", f"/p/{push.url_token}"):
            response = self.client.get(path, HTTP_HOST="127.0.0.1:8000")
            self.assertEqual(response.status_code, 200)
            self.assertContains(
                response, f"http://127.0.0.1:8000/p/{push.url_token}.json"
            )
            self.assertNotContains(response, "testpw")
            self.assertIn("no-store", response["Cache-Control"])
            self.assertEqual(response["Referrer-Policy"], "no-referrer")
        push.refresh_from_db()
        self.assertEqual(push.view_count, 0)
        self.assertEqual(
            self.client.get(f"/p/{push.url_token}.json").json()["payload"], "testpw"
        )

    def test_it_does_not_tell_whether_a_push_exists(self) -> None:
        response = self.client.get("/p/nosuchtoken12345/r")
        self.assertEqual(response.status_code, 200)
