"""The Airflow side of newsmon: what the DAGs and the UI plugin share (connection lookup, task bodies, the monitor
app). It imports `pipeline`, never the other way round; DAG files stay wiring and import this inside task bodies."""
