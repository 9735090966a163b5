from rest_framework.routers import SimpleRouter

app_name = "sessions-api"

router = SimpleRouter()

urlpatterns = [*router.urls]
