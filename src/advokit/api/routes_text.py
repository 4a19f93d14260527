"""Text: score texts with the workspace's sentiment model, and which model scores the stored texts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from .auth import ReadKey
from .schemas import AUTH_ERRORS, TextsIn, error_responses
from .state import state_of

router = APIRouter(tags=["text"])
@router.post("/text/sentiment", responses=error_responses(*AUTH_ERRORS, 413, 422), dependencies=[ReadKey],
             summary="The sentiment of each text, in order: label (negative, neutral, positive or "
                     "language_unsupported), score in [-1, 1], confidence and language")
def sentiment(request: Request, body: TextsIn) -> dict[str, Any]:
    ws = state_of(request).workspace
    info = ws.text.model_info()
    return {"model": info["version"], "tuned": info["tuned"], "results": ws.text.score(body.texts)}


@router.get("/text/status", responses=error_responses(*AUTH_ERRORS), dependencies=[ReadKey],
            summary="The model that scores this workspace (shipped or tuned, with its figures), the stored "
                    "labels by class and the models that scored them")
def status(request: Request) -> dict[str, Any]:
    return state_of(request).workspace.text.summary()
