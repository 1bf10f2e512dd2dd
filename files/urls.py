from django.urls import path

from . import views

app_name = "files"

urlpatterns = [
    path("pfb/<str:signed>/<str:filename>", views.download, name="download"),
]
