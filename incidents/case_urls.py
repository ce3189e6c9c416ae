"""The pages of requests from individuals (開示等の請求等) and complaints (苦情・相談)."""

from django.urls import path

from . import complaint_views, request_views
from .models import Complaint, RightsRequest
from .views import transition

urlpatterns = [
    path("requests/", request_views.request_list, name="request_list"),
    path("requests/new/", request_views.request_new, name="request_new"),
    path("requests/form.pdf", request_views.request_form_pdf, name="request_form_pdf"),
    path("requests/<int:pk>/", request_views.request_detail, name="request_detail"),
    path("requests/<int:pk>/edit/", request_views.request_edit, name="request_edit"),
    path("requests/<int:pk>/items/<int:item_pk>/", request_views.request_item_edit, name="request_item_edit"),
    path("requests/<int:pk>/kinds/", request_views.request_add_kind, name="request_add_kind"),
    path("requests/<int:pk>/pause/", request_views.request_pause, name="request_pause"),
    path("requests/<int:pk>/resume/", request_views.request_resume, name="request_resume"),
    path("requests/<int:pk>/letter/", request_views.request_letter, name="request_letter"),
    path("requests/<int:pk>/letter.pdf", request_views.request_letter_pdf, name="request_letter_pdf"),
    path("requests/<int:pk>/wrongful-refusal/", request_views.request_raise_incident, name="request_raise_incident"),
    path("requests/<int:pk>/transitions/<slug:name>/", transition, {"model": RightsRequest},
         name="rightsrequest_transition"),
    path("complaints/", complaint_views.complaint_list, name="complaint_list"),
    path("complaints/new/", complaint_views.complaint_new, name="complaint_new"),
    path("complaints/<int:pk>/", complaint_views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/edit/", complaint_views.complaint_edit, name="complaint_edit"),
    path("complaints/<int:pk>/to-request/", complaint_views.complaint_convert, name="complaint_convert"),
    path("complaints/<int:pk>/to-incident/", complaint_views.complaint_raise_incident,
         name="complaint_raise_incident"),
    path("complaints/<int:pk>/actions/new/", complaint_views.complaint_add_action, name="complaint_add_action"),
    path("complaints/<int:pk>/letter/", complaint_views.complaint_letter, name="complaint_letter"),
    path("complaints/<int:pk>/letter.pdf", complaint_views.complaint_letter_pdf, name="complaint_letter_pdf"),
    path("complaints/<int:pk>/transitions/<slug:name>/", transition, {"model": Complaint},
         name="complaint_transition"),
    # The public form (settings.PUBLIC_INTAKE; off by default): no account, rate-limited.
    path("contact/privacy/", request_views.public_intake, name="public_intake"),
]
