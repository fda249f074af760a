"""The intermediate page an admin action shows to ask for its choice."""

from django.contrib import admin
from django.template.response import TemplateResponse


def intermediate_page(model_admin, request, queryset, *, action, title, form, extra=None):
    select_across = request.POST.get("select_across") == "1"
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        "action": action,
        "form": form,
        "media": model_admin.media + form.media,
        "select_across": select_across,
        # The page's ticked rows; with select_across the action covers every match.
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "count": queryset.count(),
        "objects": queryset[:20],
        **(extra or {}),
    }
    return TemplateResponse(request, "admin/archive/action_form.html", context)
