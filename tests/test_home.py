from .base import BaseTestCase


class HomeTestCase(BaseTestCase):
    def test_it_explains_the_api_on_the_front_page(self) -> None:
        response = self.client.get("/", HTTP_HOST="127.0.0.1:8000")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "http://127.0.0.1:8000/p.json")
        self.assertContains(response, "/api/v1/version.json")
        self.assertEqual(response["X-Robots-Tag"], "noindex, nofollow")
