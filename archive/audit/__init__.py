"""Security audits run against a real installation (``manage.py security_scan``)."""
