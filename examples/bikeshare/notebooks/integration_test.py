# Databricks notebook source
# MAGIC %md
# MAGIC # Integration test
# MAGIC Runs prepare, train and apply in sequence against this environment's lake and
# MAGIC checks what they produced. envctl reruns it whenever the notebooks, the model
# MAGIC library or the secret scope change, and cancels it after its timeout.

# COMMAND ----------

dbutils.widgets.text("storage_account", "")
dbutils.widgets.text("container", "bikeshare")
account = dbutils.widgets.get("storage_account")
container = dbutils.widgets.get("container")
data_path = "dbfs:/tmp/bikeshare-integration-test"
assert account, "the storage_account parameter is required"

# COMMAND ----------

# The secret scope is in place and readable (the value itself is never printed).
assert len(dbutils.secrets.get("bikeshare", "storagekey")) > 0

# COMMAND ----------

assert dbutils.notebook.run("./prepare", 600, {"data_path": data_path}) == "ok"
rmse = float(dbutils.notebook.run("./train", 1200, {"data_path": data_path}))
assert rmse > 0, f"unexpected RMSE {rmse}"
output = dbutils.notebook.run("./apply", 600, {"data_path": data_path,
                                               "storage_account": account,
                                               "container": container})

# COMMAND ----------

predictions = spark.read.json(output)
assert predictions.count() > 0, "apply wrote no predictions"
assert predictions.filter("prediction < 0").count() == 0

# COMMAND ----------

dbutils.notebook.exit("ok")
