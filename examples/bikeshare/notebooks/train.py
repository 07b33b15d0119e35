# Databricks notebook source
# MAGIC %md
# MAGIC # Train
# MAGIC Fits the model of the `bikeshare_model` library on the train set and reports its
# MAGIC error on the test set.

# COMMAND ----------

import sys
sys.path.insert(0, "/dbfs/FileStore/bikeshare")
import bikeshare_model

dbutils.widgets.text("data_path", "dbfs:/tmp/bikeshare")
data_path = dbutils.widgets.get("data_path")

# COMMAND ----------

model = bikeshare_model.train(spark.read.parquet(f"{data_path}/train"))
model.write().overwrite().save(f"{data_path}/model")

# COMMAND ----------

from pyspark.ml.evaluation import RegressionEvaluator
scored = bikeshare_model.score(model, spark.read.parquet(f"{data_path}/test"))
rmse = RegressionEvaluator(labelCol=bikeshare_model.LABEL, metricName="rmse").evaluate(scored)
print(f"test RMSE: {rmse:.1f}")
dbutils.notebook.exit(str(rmse))
