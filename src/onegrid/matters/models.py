"""The one net's matters (事件/工单) and what surrounds them: categories, routing rules, deadline
policies, timeline events, attachments, supervision orders, extensions, ratings and follow-up calls."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from onegrid.kit.fields import BlindIndexField, EncryptedTextField
from onegrid.kit.scope import ScopedManager
from onegrid.matters.lifecycle import OPEN, Status, Step

# The statuses whose deadlines the sweep watches: every open one but suspended (its clock is stopped).
SWEPT = sorted(s.value for s in OPEN if s != Status.SUSPENDED)
# The sweep's work lists: matters with a running clock whose mark for the running stage is still to be
# emitted. Used as the partial indexes' conditions and repeated in the sweep's queries; no literals, so
# SQLite's planner can prove a query implies them (it compares bound parameters to no literal).
SWEEP_WARNING = Q(warn_at__isnull=False) & ~Q(warned_stage=F("stage"))
SWEEP_OVERDUE = Q(due_at__isnull=False) & ~Q(overdue_stage=F("stage"))


class Channel(models.TextChoices):
    HOTLINE_12345 = "hotline_12345", _("12345 hotline")
    LINKAGE_110 = "linkage_110", _("110 linkage")
    RESIDENT_APP = "resident_app", _("Resident app or web")
    WECHAT = "wechat", _("WeChat")
    GRID_PATROL = "grid_patrol", _("Grid-worker patrol")
    SENSOR = "sensor", _("Sensor / IoT")
    VIDEO_ALARM = "video_alarm", _("Video alarm")
    DEPARTMENT = "department", _("Department referral")
    OPEN311 = "open311", _("Open311 client")
    EMAIL_SMS = "email_sms", _("E-mail or SMS")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Category(models.Model):
    """Two-level taxonomy that administrators edit; a leaf is what a matter is filed under."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=160, blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )
    description = models.TextField(_("description"), blank=True)
    default_priority = models.CharField(
        _("default priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    # Open311 service definition attributes (GeoReport v2 §service definition), as data.
    attributes = models.JSONField(_("Open311 attributes"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Matter(models.Model):
    """Anything reported into the net."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="matters", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=[(s.value, s.value) for s in Status],
        default=Status.RECEIVED,
        db_index=True,
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # The reporter's answers to the category's attributes (``Category.attributes``), checked on intake.
    extra = models.JSONField(_("answers to the category's questions"), default=dict, blank=True)
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area"))
    area_path = models.CharField(_("area path"), max_length=255, db_index=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_matters",
        verbose_name=_("reporter account"),
    )
    reporter_name = EncryptedTextField(_("reporter name"), blank=True, context="matters.Matter.reporter_name")
    reporter_phone = EncryptedTextField(
        _("reporter phone"), blank=True, context="matters.Matter.reporter_phone"
    )
    reporter_phone_index = BlindIndexField(source="reporter_phone", purpose="phone")
    reporter_email = EncryptedTextField(
        _("reporter e-mail"), blank=True, context="matters.Matter.reporter_email"
    )
    reporter_email_index = BlindIndexField(source="reporter_email", purpose="email")
    anonymous = models.BooleanField(_("anonymous"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("taken in by"),
    )
    idempotency_key = models.CharField(max_length=100, blank=True)
    owner = models.ForeignKey(
        "access.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_matters",
        verbose_name=_("responsible organisation"),
    )
    owner_level = models.PositiveSmallIntegerField(
        _("level of the responsible organisation"), null=True, blank=True
    )
    escalation_level = models.PositiveSmallIntegerField(_("times escalated"), default=0)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
        verbose_name=_("merged into"),
    )
    resolved_at_intake = models.BooleanField(_("resolved at intake"), default=False)
    suspended_from = models.CharField(max_length=20, blank=True)
    stage = models.CharField(_("deadline stage"), max_length=20, blank=True)
    stage_started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    warn_at = models.DateTimeField(_("warn from"), null=True, blank=True, db_index=True)
    due_provisional = models.BooleanField(default=False)
    warned_stage = models.CharField(max_length=20, blank=True)
    overdue_stage = models.CharField(max_length=20, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    registered_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    accept_on_time = models.BooleanField(null=True, blank=True)
    resolve_on_time = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager["Matter"]()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="matter_idempotency_key",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["category", "received_at"]),
            models.Index(fields=["area_path", "received_at"]),
            # The queue's counts of open, overdue and due-soon matters in an area: read from this index
            # alone, status by status, without touching the rows (or the closed majority).
            models.Index(fields=["status", "area_path", "due_at", "warn_at"], name="matter_status_area"),
            # The deadline sweep's work lists: only open matters whose mark for the running stage is
            # still due sit in these (a few thousand out of tens of millions), so a sweep reads no more.
            models.Index(
                fields=["warn_at"],
                condition=SWEEP_WARNING,
                name="matter_warning_due",
            ),
            models.Index(
                fields=["due_at"],
                condition=SWEEP_OVERDUE,
                name="matter_overdue_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class Event(models.Model):
    """One step on a matter's timeline, with who, when, a note for staff and one for the reporter."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    organisation = models.ForeignKey(
        "access.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    public_note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")

    def __str__(self) -> str:
        return f"{self.matter_id} {self.action}"


class Attachment(models.Model):
    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to="matters/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class RoutingRule(models.Model):
    """(category, area subtree, priority, channel) → responsible organisation. Blank = any; the most
    specific matching rule wins; two equally specific matching rules are a configuration error."""

    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey("areas.Area", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    area_path = models.CharField(max_length=255, blank=True, db_index=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    organisation = models.ForeignKey(
        "access.Organisation",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("responsible organisation"),
    )
    is_active = models.BooleanField(default=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.category or '*'} @ {self.area_path or '*'} → {self.organisation}"


class DeadlinePolicy(models.Model):
    """How long a stage may take for (category, priority); blank = any, most specific wins."""

    class Unit(models.TextChoices):
        NATURAL_HOURS = "natural_hours", _("hours (24 h clock)")
        WORKING_HOURS = "working_hours", _("working hours")
        WORKING_DAYS = "working_days", _("working days")

    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    priority = models.CharField(max_length=10, choices=Priority.choices, blank=True)
    stage = models.CharField(
        max_length=20,
        choices=[(s, s) for s in ("register", "dispatch", "accept", "resolve", "verify", "close")],
    )
    amount = models.FloatField()
    unit = models.CharField(max_length=20, choices=Unit.choices)
    warn_share = models.FloatField(default=0.8)
    escalate_when_overdue = models.BooleanField(default=False)
    calendar = models.CharField(max_length=32, default="cn")

    class Meta:
        verbose_name = _("deadline policy")
        verbose_name_plural = _("deadline policies")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority", "stage"],
                condition=Q(category__isnull=False),
                name="deadline_unique_category",
            ),
            models.UniqueConstraint(
                fields=["priority", "stage"],
                condition=Q(category__isnull=True),
                name="deadline_unique_default",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage}: {self.amount:g} {self.unit}"


class SupervisionOrder(models.Model):
    """督办: a leader's order on a matter with its own deadline and a reply; listed (挂牌) for major ones."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="supervision_orders")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    listed = models.BooleanField(_("listed supervision"), default=False)
    instruction = models.TextField()
    due_at = models.DateTimeField()
    issued_at = models.DateTimeField(auto_now_add=True)
    reply = models.TextField(blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")

    def __str__(self) -> str:
        return f"{self.matter_id}: {self.instruction[:40]}"


class ExtensionRequest(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    working_days = models.PositiveSmallIntegerField()
    reason = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")

    def __str__(self) -> str:
        return f"{self.matter_id}: +{self.working_days} wd ({self.state})"


class Assist(models.Model):
    """协办: another organisation helps; the owner stays the lead."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="assists")
    organisation = models.ForeignKey("access.Organisation", on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["matter", "organisation"], name="assist_unique")]

    def __str__(self) -> str:
        return f"{self.matter_id} + {self.organisation_id}"


class Rating(models.Model):
    """满意度: the reporter's 1–5 rating of the outcome (one per matter)."""

    matter = models.OneToOneField(Matter, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    via = models.CharField(max_length=10, choices=[("link", "link"), ("app", "app"), ("call", "call")])
    rated_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5), name="rating_1_to_5")
        ]

    def __str__(self) -> str:
        return f"{self.matter_id}: {self.score}"


class RatingToken(models.Model):
    """A one-time link for rating without an account; only a hash of the token is kept."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="rating_tokens")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token for {self.matter_id}"


class FollowUpCall(models.Model):
    """回访: staff call the reporter back and record whether it is solved and whether they are satisfied."""

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASIC = "basic", _("Basically satisfied")
        UNSATISFIED = "unsatisfied", _("Unsatisfied")

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="follow_ups")
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    called_at = models.DateTimeField(auto_now_add=True)
    reached = models.BooleanField(default=True)
    solved = models.BooleanField(null=True)
    satisfaction = models.CharField(max_length=12, choices=Satisfaction.choices, blank=True)
    note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.matter_id} call {self.called_at:%Y-%m-%d}"


class CatalogueRevision(models.Model):
    """One row whose token changes with every change to categories, routing rules, deadline policies or
    organisations, so each process can tell cheaply that its cached copy is stale (``catalogue``)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return self.token


class NumberSequence(models.Model):
    """Daily counters for human-readable numbers (county code + date + sequence)."""

    prefix = models.CharField(max_length=20, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last}"


class Patrol(models.Model):
    """巡查打卡: a grid worker's record that they patrolled their grid at a time, with an optional note
    and photo. A duty record of the worker's own round; it holds no position and nothing on residents."""

    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="patrols",
        verbose_name=_("grid worker"),
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("grid"))
    area_path = models.CharField(_("area path"), max_length=255, db_index=True)
    at = models.DateTimeField(_("checked in"), auto_now_add=True, db_index=True)
    note = models.TextField(_("note"), blank=True)
    photo = models.FileField(upload_to="patrols/%Y/%m/", blank=True)
    photo_type = models.CharField(max_length=100, blank=True)
    photo_sha256 = models.CharField(max_length=64, blank=True)

    objects = ScopedManager["Patrol"]()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("patrol check-in")
        verbose_name_plural = _("patrol check-ins")

    def __str__(self) -> str:
        return f"{self.worker_id} @ {self.area_id} {self.at:%Y-%m-%d %H:%M}"


class TrackingCode(models.Model):
    """The second factor for following a matter without an account: a short secret shown once at
    intake. Only its keyed hash is kept."""

    matter = models.OneToOneField(Matter, on_delete=models.CASCADE, related_name="tracking_code")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"tracking code for {self.matter_id}"


class FollowFailure(models.Model):
    """A failed lookup by tracking number and secret; recent ones throttle the number and the address."""

    number = models.CharField(max_length=32, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.number} from {self.ip} at {self.at:%Y-%m-%d %H:%M}"


# Close-time histogram of the statistics rollup: bucket 0 is under one hour, bucket k (1..HISTOGRAM-2)
# is [2^((k-1)/3), 2^(k/3)) hours, the last is 2^((HISTOGRAM-2)/3) hours (2,048 h, 85 days) and more.
HISTOGRAM = 35
MEASURES = (
    "n",
    "accepted",
    "accepted_on_time",
    "judged",
    "resolved_on_time",
    "closed",
    "closed_local",
    "ratings",
    "ratings_ok",
    "ratings_good",
    "calls",
    "calls_solved",
    "calls_satisfied",
)
BUCKETS = tuple(f"h{k:02d}" for k in range(HISTOGRAM))


class Tally(models.Model):
    """Statistics rollup (统计汇总): the matters received on ``day`` (Asia/Shanghai) under the area whose path is ``area_path``,
    whole (``dim`` = "") or split by one dimension (channel, category, status, org, level) with its
    ``value``, as sums kept exactly in step with the matters in the same transaction as every change.
    Nodes are the whole net (depth 0) down to counties with every dimension, townships with totals
    only; below that the statistics read the matters themselves. See docs/decisions/0004."""

    day = models.DateField()
    depth = models.PositiveSmallIntegerField()
    area_path = models.CharField(max_length=255)  # the node; "/" is the whole net
    parent = models.CharField(max_length=255)  # the node's parent ("" for the whole net)
    dim = models.CharField(max_length=10)
    value = models.CharField(max_length=64)
    # Concurrent writers on PostgreSQL spread over a few copies of each row (readers sum them), so
    # they do not queue on the hot rows (today, the whole net...) until each other's commit; the
    # worker folds the copies back into shard 0. See docs/decisions/0011.
    shard = models.PositiveSmallIntegerField(default=0, db_default=0)

    objects = ScopedManager["Tally"]()
    # An area move changes which ancestors a matter counts under, beyond rewriting paths: the rollup
    # is recomputed instead (``onegrid matters rebuild-stats``), see docs/decisions/0004.
    rewrite_paths_on_move = False

    class Meta:
        verbose_name = _("statistics rollup row")
        verbose_name_plural = _("statistics rollup")
        constraints = [
            # also the index of a node's rows over a period: (dim, node) then the day range
            models.UniqueConstraint(fields=["dim", "area_path", "day", "value", "shard"], name="tally_key"),
        ]
        indexes = [
            models.Index(fields=["dim", "parent", "day"], name="tally_children"),
            # the few copies the worker has still to fold into shard 0
            models.Index(fields=["id"], condition=models.Q(shard__gt=0), name="tally_unfolded"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.area_path} {self.dim}={self.value}: {getattr(self, 'n', 0)}"


for _name in (*MEASURES, *BUCKETS):
    Tally.add_to_class(_name, models.IntegerField(default=0, db_default=0))


__all__ = ["Step"]
