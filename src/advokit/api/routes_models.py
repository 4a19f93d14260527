"""Predictive models: the saved models, training one, and a backtest without leakage (docs/models.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ..models import DEFAULT_HORIZON, MAX_HORIZON
from .auth import ReadKey, WriteKey
from .schemas import AUTH_ERRORS, error_responses
from .state import state_of

router = APIRouter(tags=["models"])
Target = Literal["churn", "advocacy"]
_HORIZON = Query(DEFAULT_HORIZON, ge=1, le=MAX_HORIZON, description="Days after the cutoff in which the label counts")


class BaselineOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    auc: float = Field(description="AUC of the transparent advocate score (churn: 100 − score)")
    lift_top_decile: float


class BacktestOut(BaseModel):
    """As `advokit model backtest --format json` prints it; more keys may come (model, cutoffs, note, …)."""

    model_config = ConfigDict(extra="allow")

    target: Target
    as_of: str
    horizon_days: int
    method: Literal["time_split", "cross_validation"]
    n: int = Field(description="Customers active at the cutoff, tested")
    positives: int
    auc: float
    lift_top_decile: float
    brier: float
    baseline: BaselineOut


class ModelOut(BaseModel):
    """A saved model and its training metadata (data span, features, figures, library versions)."""

    model_config = ConfigDict(extra="allow")

    model_id: str
    target: Target
    horizon_days: int
    model: str = Field(description="logistic_l2, logistic_l1 or lightgbm")
    feature_set: str
    features: list[str]
    trained_at: str


@router.get("/models", response_model=list[ModelOut], responses=error_responses(*AUTH_ERRORS),
            dependencies=[ReadKey], summary="The saved churn and advocacy models, newest first")
def list_models(request: Request) -> list[dict[str, Any]]:
    return state_of(request).workspace.models.list()


@router.post("/models/{target}/train", response_model=ModelOut, responses=error_responses(*AUTH_ERRORS),
             dependencies=[WriteKey], summary="Fit a model on the data's history and save it (as advokit model train)")
def train_model(request: Request, target: Target, horizon: int = _HORIZON,
                as_of: dt.date | None = Query(None, description="Learn from the cutoffs whose horizon ended by "
                                                                "this day. Default: the day after the last event")
                ) -> dict[str, Any]:
    return state_of(request).workspace.models.train(target=target, horizon_days=horizon, as_of=as_of)


@router.get("/models/{target}/backtest", response_model=BacktestOut, responses=error_responses(*AUTH_ERRORS),
            dependencies=[ReadKey], summary="The model backtested at a cutoff beside the advocate score")
def backtest_model(request: Request, target: Target,
                   as_of: dt.date = Query(description="The cutoff under test"),
                   horizon: int = _HORIZON) -> dict[str, Any]:
    return state_of(request).workspace.models.backtest(target=target, as_of=as_of, horizon_days=horizon)
