"""Predictive churn and advocacy models (issue 18): training frames, backtests, saved models, explanations."""
