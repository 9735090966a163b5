from django.urls import path  # noqa: F401  (auth and me/ paths are added here)
from rest_framework.routers import SimpleRouter

app_name = "users-api"

router = SimpleRouter()

urlpatterns = [*router.urls]
