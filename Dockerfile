# The project's Airflow image: the official Apache Airflow 3.3 image with newsmon installed in it.
# Built by docker-compose.yaml (`docker compose build`); every Airflow service of the stack runs it.
FROM apache/airflow:3.3.2-python3.11

# The pipeline finds its SQL (sql/) and default configuration (config/) next to its package, so the project
# is installed editable from /opt/newsmon. The Airflow version is pinned to the image's own, as the image's
# documentation asks, so that pip never up- or downgrades Airflow while resolving the project's dependencies.
COPY --chown=airflow:root pyproject.toml README.md /opt/newsmon/
COPY --chown=airflow:root pipeline /opt/newsmon/pipeline
COPY --chown=airflow:root pipeline_airflow /opt/newsmon/pipeline_airflow
COPY --chown=airflow:root config /opt/newsmon/config
COPY --chown=airflow:root sql /opt/newsmon/sql
COPY --chown=airflow:root alembic.ini /opt/newsmon/alembic.ini

RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -e /opt/newsmon

ENV NEWSMON_DATA_DIR=/opt/airflow/data
