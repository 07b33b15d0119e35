"""bikeshare_model: the sample's (deliberately simple) model of hourly bike rentals.

Deployed to DBFS by envctl (DatabricksLibrary) and imported by the notebooks with
sys.path.insert(0, "/dbfs/FileStore/bikeshare").
"""

from pyspark.ml import Pipeline, PipelineModel
from pyspark.ml.feature import VectorAssembler
from pyspark.ml.regression import LinearRegression

FEATURES = ["season", "hr", "holiday", "workingday", "weathersit", "temp", "atemp", "hum",
            "windspeed"]
LABEL = "cnt"


def train(df):
    """Fits a linear regression of the rental count on time and weather."""
    assembler = VectorAssembler(inputCols=FEATURES, outputCol="features")
    regression = LinearRegression(featuresCol="features", labelCol=LABEL, maxIter=10)
    return Pipeline(stages=[assembler, regression]).fit(df)


def load(path):
    return PipelineModel.load(path)


def score(model, df):
    """Adds a `prediction` column (rentals per hour, never negative)."""
    from pyspark.sql import functions as F
    scored = model.transform(df)
    return scored.withColumn("prediction", F.greatest(F.col("prediction"), F.lit(0.0)))
