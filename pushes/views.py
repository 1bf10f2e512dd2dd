"""HTML pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

import pwpush

from .api_support import base_url


def home(request: HttpRequest) -> HttpResponse:
    """What this server is, and how to use its API."""
    context = {"version": pwpush.__version__, "base_url": base_url(request)}
    return render(request, "pushes/home.html", context)
