"""Notifications: per-user, persisted messages about work that ended while the user
was elsewhere (a long run, a share, a full profile report, an AI generation, an
import), listed by ``GET /notifications`` and pushed live as
``notebook_dag/notification/v1`` events."""
