# newsmon on the official Airflow 3 image: the same pinned tree as `make setup` (requirements.txt with
# constraints.txt), the newsmon package installed from include/, the DAGs and the News monitor plugin baked in.
# docker-compose.yaml also mounts dags/, plugins/ and include/ over these copies so edits show without a rebuild.
FROM apache/airflow:3.3.2-python3.11

USER airflow
WORKDIR /opt/newsmon

# Dependencies first: this layer is rebuilt only when the pins change.
COPY --chown=airflow:0 requirements.txt constraints.txt ./
RUN pip install --no-cache-dir -r requirements.txt -c constraints.txt

COPY --chown=airflow:0 pyproject.toml ./
COPY --chown=airflow:0 include ./include
RUN pip install --no-cache-dir --no-deps .

COPY --chown=airflow:0 dags /opt/airflow/dags
COPY --chown=airflow:0 plugins /opt/airflow/plugins

WORKDIR /opt/airflow
ENV NEWSMON_DATA_DIR=/opt/airflow/data \
    PYTHONPATH=/opt/airflow/include
