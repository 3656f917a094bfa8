"""Territory equipment-identity registers, offline: register profiles as data, batch files
in a register's layout (CSV, XLSX), and the portals' result files and IMEI blocklists read
back. The service (``handsetguard.server.services.registrations``) keeps the state."""

from handsetguard.registers.blocklist import Blocklist, parse_blocklist
from handsetguard.registers.export import (
    BatchRow,
    Constants,
    content_hash,
    escape_cell,
    render_csv,
    render_xlsx,
    table,
)
from handsetguard.registers.profiles import (
    RegisterError,
    RegisterProfile,
    load_profiles,
    profile_from_dict,
)
from handsetguard.registers.receipt import Problem, Receipt, ReceiptRow, is_imei, parse

__all__ = [
    "BatchRow",
    "Blocklist",
    "Constants",
    "Problem",
    "Receipt",
    "ReceiptRow",
    "RegisterError",
    "RegisterProfile",
    "content_hash",
    "escape_cell",
    "is_imei",
    "load_profiles",
    "parse",
    "parse_blocklist",
    "profile_from_dict",
    "render_csv",
    "render_xlsx",
    "table",
]
