"""`make bench`: the service under load on PostgreSQL, against a bare-Django ceiling.

Not part of the deployed service: ``bench.settings`` is the production settings plus the
ceiling view (``bench.urls``) and a header counting SQL queries per request. See
docs/performance.md.
"""
