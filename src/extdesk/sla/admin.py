"""The service levels in the admin, to read only.

They are changed at /desk/sla/ (extdesk.desk.sla_views): there every change
is checked, raises the calendar's revision (so every process reads it
again) and moves the due times of the open tickets. Editing here would do
none of that.
"""

from django.contrib import admin

from .models import BusinessCalendar, Holiday, SlaPolicy


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ReadOnly):
    list_display = ["priority", "first_response_minutes", "resolution_minutes"]


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(ReadOnly):
    list_display = ["__str__", "time_zone", "working_days", "opens_at", "closes_at", "revision"]


@admin.register(Holiday)
class HolidayAdmin(ReadOnly):
    list_display = ["date", "name"]
    date_hierarchy = "date"
