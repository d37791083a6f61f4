"""The command centre (指挥中心): the live queue, the jurisdiction map, a matter with every action the
user may take, and the inbox. Thin: reads through ``matters.selectors``, writes through the matters
services; a domain error is put back on the form it came from and nothing is changed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from onegrid.access import services as access_services
from onegrid.access.models import Organisation
from onegrid.areas import selectors as area_selectors
from onegrid.kit import scope
from onegrid.kit.crypto import mask_name, mask_phone
from onegrid.kit.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from onegrid.matters import routing, selectors, stats, steps, supervision
from onegrid.matters.counting import Counts
from onegrid.matters.lifecycle import OPEN, Status, Step
from onegrid.matters.models import Matter, SupervisionOrder
from onegrid.notify import catalog as notify_catalog
from onegrid.notify import selectors as notify_selectors
from onegrid.notify import services as notify_services
from onegrid.web.centre import dashboard, forms, labels, mapdata, queue

VIEW = "matters.view"
ROUTED = {Step.DISPATCH, Step.TRANSFER}
EXTRA_ACTIONS = ("supervise", "extension", "decide-extension", "merge", "reply")
STEP_NAMES = frozenset(s.value for s in Step)
REVEALABLE = ("reporter_name", "reporter_phone")
POLL_SECONDS = 10
SCREEN_SECONDS = 60  # how often the big screen fetches its figures again


def _centre_user(request: HttpRequest) -> Any:
    """The signed-in user if they see matters somewhere; 403 otherwise (the login redirect comes first)."""
    if not scope.has_permission(request.user, VIEW):
        raise PermissionDenied(_("The command centre is for staff who see matters."))
    return request.user


def _matter(actor: Any, number: str) -> Matter:
    try:
        return selectors.get_for(actor, number)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _common(request: HttpRequest, section: str) -> dict[str, Any]:
    return {
        "section": section,
        "unread": notify_selectors.unread_count(request.user),
        "can_stats": scope.has_permission(request.user, stats.PERMISSION),
    }


# ---- the queue ---------------------------------------------------------------------------------------


def _filter_query(data: QueryDict, *, drop: tuple[str, ...] = ()) -> str:
    """The filters of the request as a query string, without paging parameters."""
    keep = QueryDict(mutable=True)
    for key in ("status", "due", "category", "channel", "area", "since", "until", "q"):
        if key in drop:
            continue
        values = [v for v in data.getlist(key) if v]
        if values:
            keep.setlist(key, values)
    return keep.urlencode()


def _cursor(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise ValueError(value)
    return int(value)


def _chips(counts: Counts, f: queue.Filters, base: str) -> dict[str, Any]:
    """The status and deadline chips: each links to the queue with that facet chosen."""

    def link(**extra: str) -> str:
        query = "&".join(p for p in (base, urlencode(extra)) if p)
        return f"?{query}" if query else "?"

    statuses = [
        {
            "value": s.value,
            "label": labels.STATUS[s],
            "n": counts.total((s.value,), f.due),
            "active": s.value in f.status,
            "url": link(status=s.value, **({"due": f.due} if f.due else {})),
        }
        for s in Status
    ]
    dues = [
        {
            "value": value,
            "label": label,
            "n": counts.total(f.status, value),
            "active": f.due == value,
            "url": link(due=value)
            if not f.status
            else link(due=value) + "&" + urlencode([("status", s) for s in f.status]),
        }
        for value, label in (("overdue", _("Overdue")), ("warning", _("Due soon")))
    ]
    return {"statuses": statuses, "dues": dues}


@login_required
@require_GET
def queue_page(request: HttpRequest) -> HttpResponse:
    """Matters in scope with filters and counts; a fragment when HTMX asks for the results only."""
    actor = _centre_user(request)
    form = forms.QueueFilter(request.GET or None, actor=actor)
    status = 200
    try:
        before = _cursor(request.GET.get("before"))
    except ValueError:
        form.is_valid()
        form.add_error(None, _("The page cursor is not a number."))
        before = None
    if form.is_bound and not form.is_valid():
        status = 400
        f = queue.Filters()
        counts, page = Counts(), queue.Page([], None)
    else:
        f = queue.Filters.of(form.cleaned_data if form.is_bound else {})
        counts = queue.counts(actor, f)
        page = queue.page(actor, f, before=before)
    filters = _filter_query(request.GET)
    facets = _filter_query(request.GET, drop=("status", "due"))
    context = {
        **_common(request, "queue"),
        "form": form,
        "filters": f,
        "page": page,
        "counts": counts,
        "total": counts.total(f.status, f.due),
        "count_cap": queue.COUNT_CAP,
        "chips": _chips(counts, f, facets),
        "older_url": f"?{filters}&before={page.before}" if page.before else "",
        "poll": before is None and status == 200,
        "poll_url": f"{reverse('centre:queue-new')}?{filters}&after={page.newest}",
        "poll_seconds": getattr(settings, "CENTRE_POLL_SECONDS", POLL_SECONDS),
        "filter_query": filters,
    }
    template = (
        "centre/_results.html" if request.headers.get("HX-Target") == "results" else "centre/queue.html"
    )
    return render(request, template, context, status=status)


@login_required
@require_GET
def queue_new(request: HttpRequest) -> HttpResponse:
    """What the queue's poller swaps in: rows newer than ``after``, the counts and the next poller."""
    actor = _centre_user(request)
    form = forms.QueueFilter(request.GET, actor=actor)
    try:
        after = _cursor(request.GET.get("after")) or 0
    except ValueError:
        return HttpResponse(_("after must be a number"), status=400, content_type="text/plain")
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    f = queue.Filters.of(form.cleaned_data)
    rows = queue.newer(actor, f, after=after)
    counts = queue.counts(actor, f) if rows else None
    filters = _filter_query(request.GET)
    newest = max([after, *(r.matter.pk for r in rows)])
    context = {
        "rows": rows,
        "counts": counts,
        "filters": f,
        "total": counts.total(f.status, f.due) if counts else 0,
        "count_cap": queue.COUNT_CAP,
        "chips": _chips(counts, f, _filter_query(request.GET, drop=("status", "due"))) if counts else None,
        "poll_url": f"{reverse('centre:queue-new')}?{filters}&after={newest}",
        "poll_seconds": getattr(settings, "CENTRE_POLL_SECONDS", POLL_SECONDS),
    }
    return render(request, "centre/_new.html", context)


# ---- the map -----------------------------------------------------------------------------------------


@login_required
@require_GET
def map_page(request: HttpRequest) -> HttpResponse:
    _centre_user(request)
    texts = {
        "open": _("Open matters: {n}"),
        "overdue": _("Overdue: {n}"),
        "cluster": _("{n} matters here; click to zoom in"),
        "zoomIn": _("Zoom in"),
        "zoomOut": _("Zoom out"),
    }
    return render(
        request,
        "centre/map.html",
        {
            **_common(request, "map"),
            "client_texts": texts,
            "matter_url": reverse("centre:matter", args=["NUMBER"]),
        },
    )


@login_required
@require_GET
def map_grids(request: HttpRequest) -> JsonResponse:
    actor = _centre_user(request)
    return JsonResponse(mapdata.grids(actor, language_en=(get_language() or "").startswith("en")))


@login_required
@require_GET
def map_clusters(request: HttpRequest) -> JsonResponse:
    actor = _centre_user(request)
    try:
        box = mapdata.Box.parse(request.GET.get("bbox", ""))
    except ValueError as exc:
        return JsonResponse({"detail": str(exc), "field": "bbox"}, status=422)
    zoom_text = request.GET.get("zoom", "")
    if not zoom_text.isdigit() or not 0 <= int(zoom_text) <= 22:
        return JsonResponse({"detail": "zoom is a whole number from 0 to 22", "field": "zoom"}, status=422)
    return JsonResponse({"clusters": mapdata.clusters(actor, box, int(zoom_text))})


# ---- the dashboards and the big screen -------------------------------------------------------------


def _stats_user(request: HttpRequest) -> Any:
    """The signed-in user if they may read statistics somewhere; 403 otherwise."""
    _centre_user(request)
    if not scope.has_permission(request.user, stats.PERMISSION):
        raise PermissionDenied(_("The dashboards are for staff who read statistics."))
    return request.user


def _period(request: HttpRequest) -> tuple[forms.DashboardPeriod, dashboard.Period | None]:
    """The period form and the period it asks for (the last 30 days when nothing is asked; None when
    the form is wrong)."""
    form = forms.DashboardPeriod(request.GET)
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    if data.get("since"):
        return form, dashboard.Period(data["since"], data["until"], 0)
    return form, dashboard.Period.last(data.get("days") or dashboard.DEFAULT_DAYS)


def _board(actor: Any, area: str | None, p: dashboard.Period) -> dict[str, Any]:
    try:
        return dashboard.board(actor, area=area, p=p)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _chart_texts() -> dict[str, Any]:
    return {
        "matters": _("Matters"),
        "rates": dashboard.rate_names(),
        "noData": _("No matters in this period."),
        "drill": _("Click a bar to open that area."),
        "updated": _("Updated {time}"),
        "stale": _("Could not refresh: showing the figures of {time}"),
        "hours": _("{n} h"),
    }


@login_required
@require_GET
def dashboard_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Figures, charts and rankings of the caller's statistics scope or of one area inside it (404
    outside), for a period; every chart is also a table, and every breakdown can be exported."""
    actor = _stats_user(request)
    form, p = _period(request)
    board = _board(actor, code, p) if p is not None else None
    periods = []
    if p is not None:
        for days, label in forms.PERIODS.items():
            periods.append(
                {
                    "days": days,
                    "label": label,
                    "url": dashboard.link(code, dashboard.Period.last(days)),
                    "active": p.days == days,
                }
            )
    screen = reverse("centre:screen") + (f"?{urlencode({'area': code})}" if code else "")
    context = {
        **_common(request, "dashboard"),
        "form": form,
        "board": board,
        "periods": periods,
        "rate_names": dashboard.rate_names(),
        "client_texts": _chart_texts(),
        "screen_url": screen,
    }
    return render(request, "centre/dashboard.html", context, status=200 if board is not None else 400)


@login_required
@require_GET
def dashboard_data(request: HttpRequest, code: str | None = None) -> JsonResponse:
    """The dashboard's figures as JSON (what the big screen fetches)."""
    actor = _stats_user(request)
    form, p = _period(request)
    if p is None:
        field, errors = next(iter(form.errors.items()))
        return JsonResponse({"detail": " ".join(str(e) for e in errors), "field": field}, status=422)
    return JsonResponse(_board(actor, code, p))


@login_required
@require_GET
def screen(request: HttpRequest) -> HttpResponse:
    """The big screen (大屏): the figures of the caller's scope (or of ``?area=``) for the period, dark and
    large for a wall, refreshing itself every ``CENTRE_SCREEN_SECONDS`` without reloading the page."""
    actor = _stats_user(request)
    code = request.GET.get("area") or None
    form, p = _period(request)
    if p is None:
        return render(request, "centre/screen.html", {"form": form, "board": None}, status=400)
    board = _board(actor, code, p)
    data_url = (
        reverse("centre:dashboard-area-data", args=[code]) if code else reverse("centre:dashboard-data")
    )
    context = {
        "board": board,
        "rate_names": dashboard.rate_names(),
        "client_texts": _chart_texts(),
        "data_url": f"{data_url}?{urlencode(p.query())}",
        "refresh_seconds": getattr(settings, "CENTRE_SCREEN_SECONDS", SCREEN_SECONDS),
        "dashboard_url": dashboard.link(code, p),
    }
    return render(request, "centre/screen.html", context)


# ---- a matter ----------------------------------------------------------------------------------------


def _organisations(matter: Matter) -> Any:
    """Organisations that work where the matter is: those whose area contains the matter's area."""
    parts = [p for p in matter.area_path.split("/") if p]
    prefixes = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    return Organisation.objects.filter(is_active=True, area_path__in=prefixes).order_by("area_path", "name")


def _suggested(matter: Matter) -> Organisation | None:
    try:
        rule = routing.route(
            routing.Case(
                matter.category_id,
                matter.category.parent_id,
                matter.area_path,
                matter.priority,
                matter.channel,
            )
        )
    except Conflict:
        return None
    return rule.organisation if rule is not None else None


class Actions:
    """What the user may do with the matter now, each with its (possibly bound) form."""

    def __init__(self, actor: Any, matter: Matter, *, member: bool, organisations: Any) -> None:
        self.matter = matter
        self.organisations = organisations
        self.steps = steps.available(actor, matter)
        open_ = Status(matter.status) in OPEN
        pending = [x for x in matter.extensions.all() if x.state == "pending"]
        self.pending_extension = pending[0] if pending else None
        self.orders = list(matter.supervision_orders.select_related("issued_by", "replied_by"))
        answers = member or scope.covers(actor, "matters.dispatch", matter.area_path)
        self.orders_to_answer = [o for o in self.orders if o.replied_at is None and answers]
        # Who may ask for each action at all (the domain checks again); the offer also needs the state.
        self.permitted = {
            "supervise": scope.covers(actor, "matters.supervise", matter.area_path),
            "extension": member,
            "decide-extension": scope.covers(actor, "matters.extend", matter.area_path),
            "merge": scope.covers(actor, "matters.merge", matter.area_path),
            "reply": answers,
        }
        self.extra = {
            "supervise": open_ and self.permitted["supervise"],
            "extension": self.permitted["extension"]
            and matter.status in (Status.ACCEPTED, Status.IN_PROGRESS)
            and self.pending_extension is None,
            "decide-extension": self.pending_extension is not None and self.permitted["decide-extension"],
            "merge": open_ and matter.merged_into_id is None and self.permitted["merge"],
            "reply": bool(self.orders_to_answer),
        }

    def allows(self, action: str) -> bool:
        if action in EXTRA_ACTIONS:
            return bool(self.extra[action])
        return any(s.value == action for s in self.steps)

    def form(self, action: str, data: QueryDict | None = None) -> forms.ActionForm:
        if action in {s.value for s in ROUTED}:
            return forms.RoutedStepForm(data, organisations=self.organisations, prefix=action)
        classes: dict[str, type[forms.ActionForm]] = {
            "supervise": forms.SuperviseForm,
            "extension": forms.ExtensionRequestForm,
            "decide-extension": forms.ExtensionDecisionForm,
            "merge": forms.MergeForm,
            "reply": forms.ReplyForm,
        }
        return classes.get(action, forms.StepForm)(data, prefix=action)


def _render_matter(
    request: HttpRequest,
    matter: Matter,
    *,
    failed: tuple[str, forms.ActionForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.user
    member = steps.member_of(actor, matter.owner_id)
    organisations = list(_organisations(matter))
    actions = Actions(actor, matter, member=member, organisations=organisations)
    panels = []
    for step in actions.steps:
        panels.append(
            {
                "action": step.value,
                "label": labels.STEP[step],
                "form": failed[1] if failed and failed[0] == step.value else actions.form(step.value),
                "danger": step in {Step.REJECT, Step.RETURN, Step.ESCALATE},
            }
        )
    extra_labels = {
        "supervise": _("Supervise"),
        "extension": _("Ask for more time"),
        "decide-extension": _("Decide on the extension"),
        "merge": _("Merge into another matter"),
        "reply": _("Answer the supervision order"),
    }
    for action in EXTRA_ACTIONS:
        if actions.extra[action]:
            panels.append(
                {
                    "action": action,
                    "label": extra_labels[action],
                    "form": failed[1] if failed and failed[0] == action else actions.form(action),
                    "danger": False,
                }
            )
    if failed and failed[0] not in {p["action"] for p in panels}:
        # An action no longer offered (the status moved on): its form stays, with the reason it failed.
        label = labels.STEP[Step(failed[0])] if failed[0] in STEP_NAMES else extra_labels[failed[0]]
        panels.insert(0, {"action": failed[0], "label": label, "form": failed[1], "danger": False})
    suggested = _suggested(matter) if any(s in ROUTED for s in actions.steps) else None
    events = list(matter.events.select_related("organisation").order_by("at", "id"))
    attachments = list(matter.attachments.order_by("id"))
    photos = [a for a in attachments if a.content_type.startswith("image/")]
    files = [a for a in attachments if not a.content_type.startswith("image/")]
    can_reveal = scope.covers(actor, "access.reveal_pii", matter.area_path)
    area = matter.area
    context = {
        **_common(request, "queue"),
        "matter": matter,
        "chain": [*area_selectors.ancestors(area), area],
        "reporter_name": mask_name(matter.reporter_name or ""),
        "reporter_phone": mask_phone(matter.reporter_phone or ""),
        "can_reveal": can_reveal,
        "events": events,
        "photos": photos,
        "files": files,
        "orders": actions.orders,
        "orders_to_answer": actions.orders_to_answer,
        "pending_extension": actions.pending_extension,
        "panels": panels,
        "failed": failed[0] if failed else "",
        "suggested": suggested,
        "overdue": Status(matter.status) in OPEN
        and matter.due_at is not None
        and matter.due_at < timezone.now(),
        "location": {"lon": matter.lon, "lat": matter.lat, "outline": area.geometry},
        "tile_note": not settings.TILE_URL,
    }
    return render(request, "centre/matter.html", context, status=status)


@login_required
@require_GET
def matter_page(request: HttpRequest, number: str) -> HttpResponse:
    actor = _centre_user(request)
    matter = _matter(actor, number)
    return _render_matter(request, matter)


def _perform(actor: Any, matter: Matter, action: str, data: dict[str, Any], actions: Actions) -> str:
    """Run ``action`` through the domain; the message to show when it worked."""
    if action in STEP_NAMES:
        step = Step(action)
        steps.take(
            actor=actor,
            matter=matter,
            step=step,
            data=steps.StepInput(
                note=data.get("note", ""),
                public_note=data.get("public_note") or None,
                organisation=data.get("organisation"),
                override_reason=data.get("override_reason", ""),
            ),
        )
        return _("{number}: {step} done.").format(number=matter.number, step=labels.STEP[step])
    if action == "supervise":
        supervision.supervise(
            actor=actor,
            matter=matter,
            instruction=data["instruction"],
            working_days=data["working_days"],
            listed=data["listed"],
        )
        return _("Supervision order issued.")
    if action == "extension":
        supervision.request_extension(
            actor=actor, matter=matter, working_days=data["working_days"], reason=data["reason"]
        )
        return _("Extension asked for.")
    if action == "decide-extension":
        if actions.pending_extension is None:
            raise Conflict(_("There is no extension request waiting for a decision."))
        supervision.decide_extension(
            actor=actor, request=actions.pending_extension, grant=data["grant"], note=data["note"]
        )
        return _("Extension granted.") if data["grant"] else _("Extension refused.")
    if action == "merge":
        try:
            into = selectors.get_for(actor, data["into"])
        except NotFound as exc:
            message = _("No matter {number} in your jurisdiction.").format(number=data["into"])
            raise Invalid(message, field="into") from exc
        supervision.merge(actor=actor, duplicate=matter, into=into, note=data["note"])
        return _("Merged into {number}.").format(number=into.number)
    if action == "reply":
        if not actions.orders_to_answer:
            raise Conflict(_("There is no supervision order waiting for an answer."))
        order: SupervisionOrder = actions.orders_to_answer[0]
        supervision.reply(actor=actor, order=order, text=data["reply"])
        return _("Reply sent.")
    raise Http404(action)


@login_required
@require_POST
def matter_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One action from the matter page. Not offered to this user: 403 and nothing changes; the domain's
    refusal (an illegal step, a rule broken): the page again with the message on the form, 4xx."""
    actor = _centre_user(request)
    matter = _matter(actor, number)
    if action not in STEP_NAMES and action not in EXTRA_ACTIONS:
        raise Http404(action)
    member = steps.member_of(actor, matter.owner_id)
    organisations = list(_organisations(matter))
    actions = Actions(actor, matter, member=member, organisations=organisations)
    if not actions.allows(action):
        # Never offered to this user: 403. Offered but no longer possible (the status moved on): the
        # domain refuses it below and says why.
        permitted = (
            actions.permitted[action] if action in EXTRA_ACTIONS else steps.may(actor, Step(action), matter)
        )
        if not permitted:
            raise PermissionDenied(_("You may not do this with this matter."))
    form = actions.form(action, request.POST)
    if not form.is_valid():
        return _render_matter(request, matter, failed=(action, form), status=422)
    try:
        done = _perform(actor, matter, action, form.cleaned_data, actions)
    except DomainError as error:
        form.show(error)
        return _render_matter(request, _matter(actor, number), failed=(action, form), status=error.status)
    messages.success(request, done)
    return HttpResponseRedirect(reverse("centre:matter", args=[number]), status=303)


@login_required
@require_POST
def reveal(request: HttpRequest, number: str, field: str) -> HttpResponse:
    """Show one personal-data field unmasked, through the audited reveal (access.reveal_pii)."""
    actor = _centre_user(request)
    matter = _matter(actor, number)
    if field not in REVEALABLE:
        raise Http404(field)
    try:
        value = access_services.reveal(actor=actor, obj=matter, field=field, area_path=matter.area_path)
    except Forbidden as exc:
        raise PermissionDenied(str(exc)) from exc
    return HttpResponse(format_html('<span class="revealed">{}</span>', value))


# ---- the inbox ---------------------------------------------------------------------------------------

INBOX_PAGE = 50


def _centre_link(link: str) -> str:
    """Notifications name a matter as /matters/<number>/; in the centre that is the matter page."""
    parts = [p for p in link.split("/") if p]
    if len(parts) == 2 and parts[0] == "matters":
        return reverse("centre:matter", args=[parts[1]])
    return link if link.startswith("/") else ""


def _event_label(name: str) -> str:
    return str(notify_catalog.get(name).description) if notify_catalog.exists(name) else name


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """My notifications, newest first, and the supervision orders waiting for my answer."""
    actor = _centre_user(request)
    try:
        before = _cursor(request.GET.get("before"))
    except ValueError:
        return HttpResponse(_("before must be a number"), status=400, content_type="text/plain")
    only_unread = request.GET.get("unread") == "1"
    qs = notify_selectors.inbox(actor, unread=only_unread)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    found = list(qs[: INBOX_PAGE + 1])
    more = len(found) > INBOX_PAGE
    notes = [
        {"n": n, "link": _centre_link(n.message.link), "event": _event_label(n.message.event)}
        for n in found[:INBOX_PAGE]
    ]
    dispatch_paths = scope.paths_for(actor, "matters.dispatch")
    answerable = Q(matter__owner__memberships__user=actor)
    for path in dispatch_paths:
        answerable |= Q(matter__area_path__startswith=path)
    orders = list(
        SupervisionOrder.objects.filter(
            replied_at__isnull=True, matter__in=selectors.visible(actor).values("pk")
        )
        .filter(answerable)
        .select_related("matter", "issued_by")
        .distinct()
        .order_by("due_at")[:100]
    )
    older = ""
    if more:
        older = "?" + urlencode(
            {"before": found[INBOX_PAGE - 1].pk, **({"unread": "1"} if only_unread else {})}
        )
    return render(
        request,
        "centre/inbox.html",
        {
            **_common(request, "inbox"),
            "notes": notes,
            "orders": orders,
            "only_unread": only_unread,
            "older_url": older,
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def inbox_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    actor = _centre_user(request)
    try:
        notification = notify_selectors.notification_for(actor, notification_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    notify_services.mark_read(user=actor, notification=notification)
    target = _centre_link(notification.message.link) if request.POST.get("open") else reverse("centre:inbox")
    return HttpResponseRedirect(target or reverse("centre:inbox"), status=303)


@login_required
@require_POST
def inbox_read_all(request: HttpRequest) -> HttpResponse:
    actor = _centre_user(request)
    marked = notify_services.mark_all_read(user=actor)
    messages.success(request, _("{n} notifications marked read.").format(n=marked))
    return HttpResponseRedirect(reverse("centre:inbox"), status=303)
