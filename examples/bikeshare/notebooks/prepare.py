# Databricks notebook source
# MAGIC %md
# MAGIC # Prepare
# MAGIC Splits the UCI bike sharing dataset that ships with every workspace into train,
# MAGIC test and holdout sets under `data_path`.

# COMMAND ----------

dbutils.widgets.text("data_path", "dbfs:/tmp/bikeshare")
data_path = dbutils.widgets.get("data_path")

# COMMAND ----------

df = (spark.read.option("header", True).option("inferSchema", True)
      .csv("/databricks-datasets/bikeSharing/data-001/hour.csv"))
train, test, holdout = df.randomSplit([0.7, 0.2, 0.1], seed=42)
train.write.mode("overwrite").parquet(f"{data_path}/train")
test.write.mode("overwrite").parquet(f"{data_path}/test")
holdout.write.mode("overwrite").parquet(f"{data_path}/holdout")

# COMMAND ----------

dbutils.notebook.exit("ok")
