"""Mounted at /api/ by config/urls.py, next to the incidents API.

A SimpleRouter: the API root view at /api/ is the incidents router's.
"""

from rest_framework.routers import SimpleRouter

from .reviews import ReviewViewSet
from .views import AuditViewSet, FindingViewSet, RequirementViewSet

app_name = "audits_api"

router = SimpleRouter()
router.register("clauses", RequirementViewSet, basename="clause")
router.register("audits", AuditViewSet, basename="audit")
router.register("findings", FindingViewSet, basename="finding")
router.register("reviews", ReviewViewSet, basename="review")

urlpatterns = router.urls
