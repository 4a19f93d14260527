"""The advocacy funnel, influencers and the next best ask (issue 18)."""
