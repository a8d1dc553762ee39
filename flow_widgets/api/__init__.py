"""The Google Flow API as data (catalog, requests, results) and as an httpx client.

Nothing in this package imports IPython, ipywidgets or starlette.
"""
