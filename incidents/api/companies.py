"""The group's companies, read-only: what every record's `company` refers to.

Any signed-in user may read them: a company's public data (name, 法人番号, PrivacyMark and
ISO/IEC 27001 certification, the authority it reports leaks to, its fiscal year, whether it
is responsible for the group's jointly used data). They are edited in the admin.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from ..models import Company
from .fields import ModelSerializer
from .filters import CompanyFilter


class CompanySerializer(ModelSerializer):
    """A group company and its public data."""

    leak_authority_display = serializers.CharField(
        read_only=True,
        help_text=_("Who receives the company's leak reports, in Japanese as they are addressed: "
                    "個人情報保護委員会 or the ministry the PPC delegated its authority to."),
    )

    class Meta:
        model = Company
        fields = [
            "id", "code", "name", "corporate_number", "is_default", "holds_privacymark", "privacymark_number",
            "privacymark_body", "iso27001_certified", "iso27001_certificate", "leak_authority",
            "leak_authority_name", "leak_authority_display", "fiscal_year_start_month", "joint_use_manager",
            "position",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(summary=_("List the group's companies")),
    retrieve=extend_schema(summary=_("A group company")),
)
@extend_schema(tags=["companies"])
class CompanyViewSet(viewsets.ReadOnlyModelViewSet):
    """The companies of the group (グループ会社), in their order. Every record belongs to one
    (`company` on incidents, actions, audits, findings and reviews; a review without one
    covers the whole group), and every list filters by it (`?company=<id>`). Any signed-in
    user may read them; they are edited in the admin."""

    queryset = Company.objects.all()
    serializer_class = CompanySerializer
    filterset_class = CompanyFilter
    search_fields = ["code", "name", "corporate_number"]
    ordering_fields = ["position", "code", "name"]
