"""The simulated MDE API: route groups (machines, live response, actions, library), each an object given the
parts of the tenant it needs, composed by :func:`build_api_app` behind one :class:`~.gate.Gate` (auth, budgets).

Modules: ``app`` (:class:`ApiApp`, routing and counting), ``build``, ``gate``, ``call`` (what a handler gets),
``replies`` (answers, :class:`HttpError`, OData pages), ``machines``, ``live_response`` and ``lr_body`` (the
request body rules), ``actions``, ``library``, ``multipart``."""

from __future__ import annotations

from .actions import action_schema
from .app import ApiApp
from .build import build_api_app
from .machines import machine_schema

__all__ = ["ApiApp", "action_schema", "build_api_app", "machine_schema"]
