"""``GET /notifications``, ``GET /notifications/{id}``, ``POST /notifications/{id}/read``
and ``POST /notifications/read-all``: the current user's notifications only (another
user's answer 404, as missing ones do)."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..base_handler import DagAPIHandler
from ..errors import NotFound, Unavailable
from ..routes import PAGE, Op, Route
from . import models as nm


class _NotificationsHandler(DagAPIHandler):
    @property
    def notifications(self) -> Any:
        service = getattr(self.services, "notifications", None)
        if service is None:
            raise Unavailable("notifications are not configured")
        return service

    @staticmethod
    def notification_id(raw: str) -> int:
        """The id in the path: an integer, else no notification (404)."""
        if not raw.isdigit() or len(raw) > 15:
            raise NotFound(f"no notification {raw}")
        return int(raw)


class NotificationsHandler(_NotificationsHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        page = await self.notifications.list(
            self.user, self.query_int("limit", 50, 1, 1000), self.query_int("offset", 0, 0, 10**9))
        self.reply(nm.NotificationList, page)


class NotificationHandler(_NotificationsHandler):
    @web.authenticated
    @authorized
    async def get(self, notification_id: str) -> None:
        self.reply(nm.NotificationOut, await self.notifications.get(self.user, self.notification_id(notification_id)))


class NotificationReadHandler(_NotificationsHandler):
    @web.authenticated
    @authorized
    async def post(self, notification_id: str) -> None:
        self.reply(nm.NotificationOut, await self.notifications.read(self.user, self.notification_id(notification_id)))


class NotificationsReadAllHandler(_NotificationsHandler):
    @web.authenticated
    @authorized
    async def post(self) -> None:
        self.reply(nm.ReadAll, await self.notifications.read_all(self.user))


ROUTES: tuple[Route, ...] = (
    Route("/notifications", NotificationsHandler, (
        Op("get", "The current user's notifications: unread first, then newest first", response=nm.NotificationList,
           query=PAGE, errors=(503,),
           description="Each new one is also pushed as a notebook_dag/notification/v1 event naming its recipient."),
    )),
    Route("/notifications/read-all", NotificationsReadAllHandler, (
        Op("post", "Mark every notification of the current user read", response=nm.ReadAll, errors=(503,)),
    )),
    Route("/notifications/{notification_id}", NotificationHandler, (
        Op("get", "One of the current user's notifications (another user's: 404)", response=nm.NotificationOut,
           errors=(503,)),
    )),
    Route("/notifications/{notification_id}/read", NotificationReadHandler, (
        Op("post", "Mark one of the current user's notifications read (another user's: 404)",
           response=nm.NotificationOut, errors=(503,)),
    )),
)
