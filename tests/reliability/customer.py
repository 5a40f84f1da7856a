"""A customer's browser, as requests: login URL, new ticket, reply, download."""

from __future__ import annotations

import re

import requests

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_TICKET = re.compile(r"/tickets/([0-9]+)/")


class Customer:
    def __init__(self, base_url: str, verify: bool | str = True) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.verify = verify

    def _get(self, path: str) -> requests.Response:
        response = self.session.get(self.base_url + path, timeout=60)
        response.raise_for_status()
        return response

    def _post_form(self, path: str, fields: dict, files: list | None = None) -> requests.Response:
        page = self._get(path)
        token = _CSRF.search(page.text)
        assert token, f"no CSRF token on {path}"
        data = {"csrfmiddlewaretoken": token[1], **fields}
        response = self.session.post(self.base_url + path, data=data, files=files or None,
                                     headers={"Referer": self.base_url + path},
                                     allow_redirects=False, timeout=60)
        assert response.status_code == 302, (path, response.status_code, response.text[:2000])
        return response

    def log_in(self, login_url: str) -> None:
        # Through this customer's server, whichever one issued the URL.
        response = self._get("/sso/" + login_url.split("/sso/", 1)[1])
        assert response.url.startswith(self.base_url + "/tickets/"), response.url

    def new_ticket(self, subject: str, body: str, files: list | None = None) -> int:
        """File a ticket; its number."""
        fields = {"subject": subject, "body": body, "priority": "2"}
        response = self._post_form("/tickets/new/", fields, files)
        return int(_TICKET.search(response.headers["Location"])[1])

    def reply(self, number: int, body: str) -> None:
        self._post_form(f"/tickets/{number}/", {"body": body})

    def ticket_page(self, number: int) -> str:
        return self._get(f"/tickets/{number}/").text
