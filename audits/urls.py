"""Web pages of the audits app, mounted at /audits/ by config/urls.py."""

from django.urls import path

from . import review_views, views
from .models import Audit, Finding

urlpatterns = [
    path("", views.audit_list, name="audit_list"),
    path("programme/", views.programme, name="audit_programme"),
    path("programme/<int:year>/", views.programme, name="audit_programme_year"),
    path("new/", views.audit_plan, name="audit_plan"),
    path("<int:pk>/", views.audit_detail, name="audit_detail"),
    path("<int:pk>/edit/", views.audit_edit, name="audit_edit"),
    path("<int:pk>/pdf/", views.audit_pdf, name="audit_pdf"),
    path("<int:pk>/checklist/", views.checklist_save, name="audit_checklist_save"),
    path("<int:pk>/checklist/<int:item_pk>/", views.checklist_record, name="audit_checklist_record"),
    path("<int:pk>/transitions/<slug:name>/", views.transition, {"model": Audit}, name="audit_transition"),
    path("findings/", views.finding_list, name="finding_list"),
    path("findings/mine/", views.finding_mine, name="finding_mine"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/edit/", views.finding_edit, name="finding_edit"),
    path("findings/<int:pk>/actions/new/", views.finding_action_create, name="finding_action_create"),
    path("findings/<int:pk>/transitions/<slug:name>/", views.transition, {"model": Finding},
         name="finding_transition"),
    path("reviews/", review_views.review_list, name="review_list"),
    path("reviews/new/", review_views.review_create, name="review_create"),
    path("reviews/<int:pk>/", review_views.review_detail, name="review_detail"),
    path("reviews/<int:pk>/edit/", review_views.review_edit, name="review_edit"),
    path("reviews/<int:pk>/approve/", review_views.review_approve, name="review_approve"),
    path("reviews/<int:pk>/pdf/", review_views.review_pdf, name="review_pdf"),
    path("reviews/<int:pk>/transitions/<slug:name>/", review_views.review_transition, name="review_transition"),
]
