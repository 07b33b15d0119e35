# Databricks notebook source
# MAGIC %md
# MAGIC # Lake access
# MAGIC Sets up the calling notebook's Spark session for the ADLS Gen2 lake. Included with
# MAGIC `%run ./lake_access` after the caller has set `account`, `lake_auth` and
# MAGIC `lake_client_id` (from its widgets).

# COMMAND ----------

lake = f"{account}.dfs.core.windows.net"
if lake_auth == "key":
    # DEV: the account key, from the Databricks secret scope envctl keeps in sync.
    spark.conf.set(f"fs.azure.account.key.{lake}", dbutils.secrets.get("bikeshare", "storagekey"))
else:
    # TEST: no key leaves the account; the jobs' managed identity holds Storage Blob
    # Data Contributor on the lake (resources/identity.yaml).
    spark.conf.set(f"fs.azure.account.auth.type.{lake}", "OAuth")
    spark.conf.set(f"fs.azure.account.oauth.provider.type.{lake}",
                   "org.apache.hadoop.fs.azurebfs.oauth2.MsiTokenProvider")
    spark.conf.set(f"fs.azure.account.oauth2.client.id.{lake}", lake_client_id)
