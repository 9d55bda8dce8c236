"""The command line's exit statuses, and where to report a bug."""

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
BUG_REPORT_URL = "https://github.com/agentsense/agentsense/issues"
