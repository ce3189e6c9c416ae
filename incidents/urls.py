from django.urls import include, path

from . import company_views, people_views, trail_views, views
from .models import Action, Incident, ReportingTrack

urlpatterns = [
    path("", include("incidents.case_urls")),
    path("company/", company_views.choose_company, name="choose_company"),
    path("incidents/", views.incident_list, name="incident_list"),
    path("incidents/new/", views.incident_report, name="incident_report"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident_detail"),
    path("incidents/<int:pk>/edit/", views.incident_edit, name="incident_edit"),
    path("incidents/<int:pk>/ppc-report/", views.incident_ppc_report, name="incident_ppc_report"),
    path("incidents/<int:pk>/handler/", views.incident_handler, name="incident_handler"),
    path("incidents/<int:pk>/progress/", views.progress_add, name="progress_add"),
    path("incidents/<int:pk>/transitions/<slug:name>/", views.transition, {"model": Incident},
         name="incident_transition"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/new/", views.action_create, name="action_create"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("actions/<int:pk>/edit/", views.action_edit, name="action_edit"),
    path("actions/<int:pk>/transitions/<slug:name>/", views.transition, {"model": Action},
         name="action_transition"),
    path("tracks/", views.track_list, name="track_list"),
    path("tracks/<int:pk>/transitions/<slug:name>/", views.transition, {"model": ReportingTrack},
         name="track_transition"),
    path("people/search/", people_views.person_search, name="person_search"),
    path("trail/", trail_views.trail_page, name="trail"),
    path("trail/<str:label>/<int:pk>.<str:fmt>", trail_views.record_trail_export, name="record_trail_export"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("attachments/upload/<str:record_type>/<int:pk>/", views.attachment_upload, name="attachment_upload"),
]
