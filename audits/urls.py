"""Web pages of the audits app, mounted at /audits/ by config/urls.py."""

from django.urls import path

from . import views
from .models import Audit, Finding

urlpatterns = [
    path("", views.audit_list, name="audit_list"),
    path("programme/", views.programme, name="audit_programme"),
    path("programme/<int:year>/", views.programme, name="audit_programme_year"),
    path("new/", views.audit_plan, name="audit_plan"),
    path("<int:pk>/", views.audit_detail, name="audit_detail"),
    path("<int:pk>/edit/", views.audit_edit, name="audit_edit"),
    path("<int:pk>/checklist/<int:item_pk>/", views.checklist_record, name="audit_checklist_record"),
    path("<int:pk>/transitions/<slug:name>/", views.transition, {"model": Audit}, name="audit_transition"),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings/mine/", views.finding_mine, name="finding_mine"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/actions/new/", views.finding_action_create, name="finding_action_create"),
    path("findings/<int:pk>/transitions/<slug:name>/", views.transition, {"model": Finding},
         name="finding_transition"),
]
