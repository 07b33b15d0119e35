# Databricks notebook source
# MAGIC %md
# MAGIC # Integration test
# MAGIC Runs prepare, train and apply in sequence against this environment's lake and
# MAGIC checks what they produced. envctl reruns it whenever the notebooks, the model
# MAGIC library or what grants the lake (the secret scope in DEV, the role assignment in
# MAGIC TEST) change, and cancels it after its timeout.

# COMMAND ----------

dbutils.widgets.text("storage_account", "")
dbutils.widgets.text("container", "bikeshare")
dbutils.widgets.text("lake_auth", "key")
dbutils.widgets.text("lake_client_id", "")
account = dbutils.widgets.get("storage_account")
container = dbutils.widgets.get("container")
lake_auth = dbutils.widgets.get("lake_auth")
lake_client_id = dbutils.widgets.get("lake_client_id")
data_path = "dbfs:/tmp/bikeshare-integration-test"
assert account, "the storage_account parameter is required"

# COMMAND ----------

if lake_auth == "key":
    # The secret scope is in place and readable (the value itself is never printed).
    assert len(dbutils.secrets.get("bikeshare", "storagekey")) > 0

# COMMAND ----------

assert dbutils.notebook.run("./prepare", 600, {"data_path": data_path}) == "ok"
rmse = float(dbutils.notebook.run("./train", 1200, {"data_path": data_path}))
assert rmse > 0, f"unexpected RMSE {rmse}"
output = dbutils.notebook.run("./apply", 600, {"data_path": data_path,
                                               "storage_account": account,
                                               "container": container,
                                               "lake_auth": lake_auth,
                                               "lake_client_id": lake_client_id})

# COMMAND ----------

# MAGIC %run ./lake_access

# COMMAND ----------

predictions = spark.read.json(output)
assert predictions.count() > 0, "apply wrote no predictions"
assert predictions.filter("prediction < 0").count() == 0

# COMMAND ----------

dbutils.notebook.exit("ok")
