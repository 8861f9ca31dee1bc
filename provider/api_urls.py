from django.urls import path  # noqa: F401

# API of the provider side (METHOD.md §6 inputs).
urlpatterns: list = []
