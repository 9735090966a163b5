from rest_framework.routers import SimpleRouter

app_name = "exercises-api"

router = SimpleRouter()

urlpatterns = router.urls
