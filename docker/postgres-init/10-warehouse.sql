-- Runs once, when the PostgreSQL volume is created (the official postgres image's /docker-entrypoint-initdb.d).
-- The Airflow metadata database ("airflow") is created by the image from POSTGRES_DB; this adds the warehouse as
-- its own database, owned by the pipeline's role, and a read-only role for analysts' SQL clients and the UI page.
CREATE ROLE newsmon LOGIN PASSWORD 'newsmon';
CREATE DATABASE warehouse OWNER newsmon;
CREATE ROLE analyst LOGIN PASSWORD 'analyst';
\connect warehouse
GRANT CONNECT ON DATABASE warehouse TO analyst;
GRANT USAGE ON SCHEMA public TO analyst;
-- Tables and views the pipeline creates later are readable by analysts, and only readable.
ALTER DEFAULT PRIVILEGES FOR ROLE newsmon IN SCHEMA public GRANT SELECT ON TABLES TO analyst;
ALTER ROLE analyst SET default_transaction_read_only = on;
