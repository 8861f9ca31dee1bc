from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from gapaudit.security import robots_txt

urlpatterns = [
    path("robots.txt", robots_txt, name="robots-txt"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/", include("surveys.api_urls")),
    path("api/", include("analytics.api_urls")),
    path("api/", include("provider.api_urls")),
    path("", include("surveys.urls")),
    path("", include("analytics.urls")),
    path("", include("provider.urls")),
    path("", include("accounts.urls")),
]

# A signed-in user whose role does not allow a page gets a page that says so.
handler403 = "accounts.views.forbidden"
