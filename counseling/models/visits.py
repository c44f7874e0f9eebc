"""A counselling centre's recommendation that the home-visit team visit a student.

The recommendation crosses the wall between counselling and the other offices: home-visit and aid
staff learn only *that* the centre recommends a visit, never why. The reason is encrypted and stays in
counselling (counseling.services.visit_recommendations.students_recommended_for_visit returns student ids only).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedTextField
from portal.models import Student, User

VISIT_REASON_MAX = 2_000


class VisitRecommendation(models.Model):
    """At most one active (not withdrawn) recommendation per student; withdrawn ones are kept as history."""

    student = models.ForeignKey(Student, on_delete=models.PROTECT, related_name="visit_recommendations")
    reason = EncryptedTextField(_("reason"))
    set_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    cleared_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-set_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"], condition=Q(cleared_at__isnull=True), name="visit_recommendation_one_active"
            )
        ]
        verbose_name = _("home-visit recommendation")
        verbose_name_plural = _("home-visit recommendations")

    def __str__(self) -> str:
        # Never the reason: this string can reach logs and the admin's change list.
        return f"visit recommendation {self.pk} (student {self.student_id})"
