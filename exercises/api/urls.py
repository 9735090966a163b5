from rest_framework.routers import SimpleRouter

from exercises.api import views, writes

app_name = "exercises-api"

router = SimpleRouter()
router.register("exercises", views.ExerciseViewSet, basename="exercise")
router.register("muscles", views.MuscleViewSet, basename="muscle")
router.register("equipment", views.EquipmentViewSet, basename="equipment")
router.register("conditions", views.ConditionViewSet, basename="condition")
router.register("routines", views.RoutineViewSet, basename="routine")
router.register("revisions", writes.RevisionViewSet, basename="revision")

urlpatterns = router.urls
