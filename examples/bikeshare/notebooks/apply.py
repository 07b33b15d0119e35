# Databricks notebook source
# MAGIC %md
# MAGIC # Apply
# MAGIC Scores the holdout set with the trained model and writes the predictions as JSON
# MAGIC to the ADLS Gen2 lake. Run by the integration test and by Data Factory's
# MAGIC "Apply ML model" pipeline.

# COMMAND ----------

import sys
sys.path.insert(0, "/dbfs/FileStore/bikeshare")
import bikeshare_model

dbutils.widgets.text("data_path", "dbfs:/tmp/bikeshare")
dbutils.widgets.text("storage_account", "")
dbutils.widgets.text("container", "bikeshare")
dbutils.widgets.text("lake_auth", "key")
dbutils.widgets.text("lake_client_id", "")
data_path = dbutils.widgets.get("data_path")
account = dbutils.widgets.get("storage_account")
container = dbutils.widgets.get("container")
lake_auth = dbutils.widgets.get("lake_auth")
lake_client_id = dbutils.widgets.get("lake_client_id")

# COMMAND ----------

# MAGIC %run ./lake_access

# COMMAND ----------

output = f"abfss://{container}@{account}.dfs.core.windows.net/predictions"

# COMMAND ----------

model = bikeshare_model.load(f"{data_path}/model")
scored = bikeshare_model.score(model, spark.read.parquet(f"{data_path}/holdout"))
scored.select("dteday", "hr", bikeshare_model.LABEL, "prediction") \
    .write.mode("overwrite").json(output)
dbutils.notebook.exit(output)
