"""Forms of the staff messaging pages: reply, note, thread actions, figures, settings."""

from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet

from careloop.accounts.models import User
from careloop.accounts.roles import STAFF_ROLES, Role
from careloop.core.errors import ValidationFailed
from careloop.messaging.attachments import AttachmentUpload
from careloop.messaging.lifecycle import ThreadAction
from careloop.messaging.models import (
    Assignment,
    LapsedMembershipMessaging,
    MessagingTeam,
    RoutingTarget,
    Topic,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (none included); the service checks type, size and content."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files if item]


def uploads(files: list[UploadedFile]) -> list[AttachmentUpload]:
    """The uploaded files as the messaging services take them."""
    return [
        AttachmentUpload(
            file_name=upload.name or "",
            content_type=upload.content_type or "application/octet-stream",
            data=upload.read(),
        )
        for upload in files
    ]


def add_message_errors(form: forms.Form, error: ValidationFailed) -> None:
    """A service's field errors beside the inputs; a file's error (`attachments[0]`) beside
    the file input, naming the file."""
    for field_error in error.errors:
        field = field_error.field
        if field.startswith("attachments["):
            field = "attachments"
        form.add_error(field if field in form.fields else None, field_error.message)


class ReplyForm(forms.Form):
    # Not required here: the service refuses an empty body with the clinic's own words.
    body = forms.CharField(label="Reply", required=False, widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label="Attach files")


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Internal note", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


ACTIONS = {
    ThreadAction.CLAIM: "Claim",
    ThreadAction.ASSIGN: "Assign",
    ThreadAction.REASSIGN: "Reassign",
    ThreadAction.CLOSE: "Close",
    ThreadAction.REOPEN: "Reopen",
}


class StaffChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} · {obj.get_role_display()}"


class ThreadActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(action.value, label) for action, label in ACTIONS.items()])
    assignee = StaffChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Assign to",
        empty_label="The team's pool (unassigned)",
    )
    reason = forms.CharField(label="Reason", required=False, max_length=1000)

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]


class FiguresForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        end = data.get("end") or self.today
        start = data.get("start") or end - timedelta(days=29)
        if start > end:
            self.add_error("end", "The range ends before it starts.")
        elif (end - start).days > 366:
            self.add_error("end", "Choose a range of at most a year.")
        data["start"], data["end"] = start, end
        return data


class RoutingRuleForm(forms.Form):
    topic = forms.ChoiceField(choices=Topic.choices, widget=forms.HiddenInput)
    target = forms.ChoiceField(label="Send to", choices=RoutingTarget.choices)
    team = forms.ModelChoiceField(
        label="Team", queryset=MessagingTeam.objects.order_by("name"), required=False
    )


class ReplyTemplateForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, required=False)
    topic = forms.ChoiceField(
        label="Topic", choices=[("", "Any topic"), *Topic.choices], required=False
    )
    body = forms.CharField(label="Text", required=False, widget=forms.Textarea(attrs={"rows": 5}))


class TeamForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=100, required=False)
    role = forms.ChoiceField(
        label="Staff role",
        choices=[(role.value, role.label) for role in Role if role in STAFF_ROLES],
    )
    assignment = forms.ChoiceField(label="New threads", choices=Assignment.choices)
    lead = StaffChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Lead (told of breaches)",
        empty_label="No lead",
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = staff  # type: ignore[attr-defined]


class OutOfOfficeForm(forms.Form):
    """An absence: whose (admins choose anyone; others record their own), when, and cover."""

    staff = StaffChoiceField(queryset=User.objects.none(), label="Who is away")
    starts_at = forms.DateTimeField(
        label="Away from", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="Back at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    cover = StaffChoiceField(
        queryset=User.objects.none(),
        required=False,
        label="Cover (takes their threads)",
        empty_label="Nobody: back to the team's pool",
    )

    def __init__(self, *args: Any, staff: QuerySet[User], anyone: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff  # type: ignore[attr-defined]
        self.fields["cover"].queryset = staff  # type: ignore[attr-defined]
        if not anyone:
            del self.fields["staff"]


class PolicyForm(forms.Form):
    past_due_messaging = forms.ChoiceField(
        label="When a membership is past due",
        choices=LapsedMembershipMessaging.choices,
        widget=forms.RadioSelect,
    )
