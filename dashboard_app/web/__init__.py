"""The web layer around the Dash app: security headers, rate limits, /health, logging and the page shell."""
