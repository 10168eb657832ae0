// Connects with pgJDBC using the JDBC URL in args[0]; on failure prints the stack trace as an
// application log shows it. Compiled with javac by scripts/corpus/generate.ts.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;

public class JdbcConnect {
  public static void main(String[] args) {
    try (Connection connection = DriverManager.getConnection(args[0])) {
      ResultSet rs = connection.createStatement().executeQuery("SELECT version()");
      rs.next();
      System.out.println(rs.getString(1));
    } catch (Exception e) {
      e.printStackTrace();
      System.exit(1);
    }
  }
}
