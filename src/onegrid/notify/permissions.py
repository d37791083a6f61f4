"""The ``notify.*`` permissions, registered in the access catalog (imported from ``NotifyConfig.ready``)."""

from django.utils.translation import gettext_lazy as _

from onegrid.access import catalog

SUBSCRIBE = "notify.subscribe"
MANAGE_WEBHOOKS = "notify.manage_webhooks"
VIEW_DELIVERIES = "notify.view_deliveries"

catalog.register(
    "notify",
    {
        "subscribe": _("Subscribe to events in areas (and be told of them through the subscription)"),
        "manage_webhooks": _("Create and change webhook endpoints for outside systems"),
        "view_deliveries": _("See outgoing e-mail, SMS and webhook deliveries and retry dead ones"),
    },
)
