"""Use cases of the manager scorecard, a feature of the notifications service: the KPI
projection of the clients, interactions and billing events (``projection.py``, run by the
service's ``subscribers.py``), the scorecard report (``report.py``, its workbook
``workbook.py``), the scheduled reports (``reports.py``, run by ``workers.py``) and the
projection's rebuild (``rebuild.py``, ``orbit reports rebuild``)."""
