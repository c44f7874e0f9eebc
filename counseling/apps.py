from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounselingConfig(AppConfig):
    name = "counseling"
    verbose_name = _("Counselling")

    def ready(self) -> None:
        from counseling import access
        from portal import navigation

        for label, url_name, allowed, order in (
            (_("Counselling"), "counseling:index", access.may_use_counseling, 10),
            (_("Book counselling"), "counseling:slots", access.may_book, 10),
            (_("Agenda"), "counseling:agenda", access.may_see_agenda, 11),
            (_("Triage queue"), "counseling:queue", access.may_triage, 11),
            (_("Care files"), "counseling:care_list", access.may_triage, 12),
            (_("Dashboard"), "counseling:dashboard", access.may_triage, 13),
            (_("My cases"), "counseling:my_cases", access.is_assessor_only, 14),
            (_("Postvention"), "counseling:postvention_list", access.may_see_postvention, 15),
            (_("My check-ins"), "counseling:my_checkins", access.checkins_in_menu, 16),
        ):
            navigation.register(navigation.NavItem(label, url_name, allowed, order=order))
        navigation.register_home_panel(_screening_campaign_panel)
        navigation.register_home_panel(_student_quick_panel)


def _screening_campaign_panel(user):
    """Students of a year with an open screening campaign see it first on the portal home."""
    from counseling.selectors.screening import open_campaigns_for

    campaigns = open_campaigns_for(getattr(user, "student", None))
    if not campaigns:
        return None
    return {"template": "counseling/screening/partials/campaign_banner.html", "context": {"campaigns": campaigns}}


def _student_quick_panel(user):
    """Students see their next appointment and the three things they come for, first."""
    from counseling import access
    from counseling.models import Booking

    if not access.may_book(user):
        return None
    next_booking = (
        Booking.objects.filter(student__user=user, status__in=Booking.FUTURE)
        .select_related("slot", "slot__counsellor")
        .defer("reason")  # encrypted intake reason: not needed here
        .order_by("slot__starts_at")
        .first()
    )
    return {"template": "counseling/partials/home_student_panel.html", "context": {"next_booking": next_booking}}
