from django.urls import path  # noqa: F401

# Pages of the provider side (manager survey, standards, delivery evidence, promises).
urlpatterns: list = []
