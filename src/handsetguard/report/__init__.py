"""Report: the Report model and its renderers (terminal, html and markdown live in their own
modules, imported only when used, since they pull in rich and jinja2)."""

from handsetguard.report.json_report import app_to_dict, render_json, to_dict
from handsetguard.report.model import SCHEMA_VERSION, Report

__all__ = ["SCHEMA_VERSION", "Report", "app_to_dict", "render_json", "to_dict"]
